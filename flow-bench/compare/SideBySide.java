import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

/**
 * Puts PNGs side by side in one row, top-aligned on white, scaled by {@code -Dscale=S} (default 1,
 * bicubic): {@code java SideBySide.java OUT.png IN.png...} (the JDK's single-file launcher; no
 * build, no ImageMagick). Used by {@code compare-2d.sh}.
 */
public final class SideBySide {

    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: java SideBySide.java OUT.png IN.png...");
        }
        BufferedImage[] in = new BufferedImage[args.length - 1];
        int width = 0;
        int height = 0;
        for (int i = 1; i < args.length; i++) {
            in[i - 1] = ImageIO.read(new File(args[i]));
            if (in[i - 1] == null) {
                throw new IllegalArgumentException(args[i] + " is not a picture ImageIO reads");
            }
            width += in[i - 1].getWidth();
            height = Math.max(height, in[i - 1].getHeight());
        }
        double scale = Double.parseDouble(System.getProperty("scale", "1"));
        BufferedImage out = new BufferedImage((int) Math.round(width * scale), (int) Math.round(height * scale),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION,
                    java.awt.RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            int x = 0;
            for (BufferedImage b : in) {
                g.drawImage(b, (int) Math.round(x * scale), 0, (int) Math.round(b.getWidth() * scale),
                        (int) Math.round(b.getHeight() * scale), null);
                x += b.getWidth();
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(out, "png", new File(args[0]))) {
            throw new IllegalStateException("no PNG writer");
        }
    }
}
