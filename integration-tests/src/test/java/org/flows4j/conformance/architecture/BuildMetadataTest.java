package org.flows4j.conformance.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * What users' build tools see: the BOM names every artifact the reactor publishes, and every
 * published artifact carries the metadata Maven Central asks for. A module added to the reactor
 * without a BOM entry, or published by mistake, fails here.
 */
class BuildMetadataTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theBomListsEveryPublishedArtifactAndNothingElse() throws Exception {
        Set<String> published = new TreeSet<>();
        for (String module : children(pom(ROOT.resolve("pom.xml")), "modules", "module")) {
            Element project = pom(ROOT.resolve(module).resolve("pom.xml"));
            String artifactId = text(project, "artifactId");
            if (!"flows4j-bom".equals(artifactId) && !skipsDeploy(project)) {
                published.add(artifactId);
            }
        }
        Element bom = pom(ROOT.resolve("flows4j-bom/pom.xml"));
        Set<String> listed = new TreeSet<>();
        Element managed = child(child(bom, "dependencyManagement"), "dependencies");
        for (Element dependency : elements(managed, "dependency")) {
            assertEquals("org.flows4j", text(dependency, "groupId"), "the BOM manages only flows4j artifacts");
            listed.add(text(dependency, "artifactId"));
        }
        assertFalse(published.isEmpty(), "no published module found under " + ROOT);
        assertEquals(published, listed, "flows4j-bom must list exactly the published modules");
    }

    @Test
    void theParentAndTheBomCarryCentralsMetadata() throws Exception {
        for (Path path : List.of(ROOT.resolve("pom.xml"), ROOT.resolve("flows4j-bom/pom.xml"))) {
            Element project = pom(path);
            for (String required :
                    List.of("name", "description", "url", "licenses", "developers", "scm", "issueManagement")) {
                assertTrue(child(project, required) != null, path + " lacks <" + required + ">");
            }
            Element properties = child(project, "properties");
            assertTrue(
                    properties != null && child(properties, "project.build.outputTimestamp") != null,
                    path + " must set project.build.outputTimestamp for reproducible archives");
        }
    }

    private static boolean skipsDeploy(Element project) {
        Element properties = child(project, "properties");
        return properties != null
                && child(properties, "maven.deploy.skip") != null
                && "true".equals(text(properties, "maven.deploy.skip"));
    }

    private static Element pom(Path path) throws IOException, ParserConfigurationException, SAXException {
        assertTrue(Files.isRegularFile(path), "no POM at " + path);
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document document = factory.newDocumentBuilder().parse(path.toFile());
        return document.getDocumentElement();
    }

    private static List<String> children(Element parent, String list, String item) {
        List<String> names = new ArrayList<>();
        for (Element e : elements(child(parent, list), item)) {
            names.add(e.getTextContent().trim());
        }
        return names;
    }

    private static List<Element> elements(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node node = nodes.item(i);
            if (node instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = elements(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? "" : e.getTextContent().trim();
    }
}
