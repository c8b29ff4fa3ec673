#!/usr/bin/python3
"""Reads the outputs of torch_peer.py (--json) and of ModelBench and GemmRace (their stdout, one
file per backend) and prints issue 12's ratio table: each workload on PyTorch and on every
backend, the best backend over PyTorch and the cpu backend over PyTorch, then the GEMM ratios.

    ratio_table.py peer.json gemm-race.txt modelbench-cpu.txt modelbench-djl.txt modelbench-nd4j.txt
"""
import json
import re
import sys

ROWS = ("nice:paper", "realnvp:2d", "glow:small")


def parse_modelbench(path):
    """backend name, the model table rows, the NICE rounds' median GEMM and NICE / GEMM, and the GEMM plan."""
    out = {"models": {}, "gemm": None, "nice_over_gemm": None, "backend": None, "describe": None}
    columns = None
    with open(path) as f:
        for line in f:
            m = re.match(r"backend (\S+), threads", line)
            if m:
                out["backend"] = m.group(1).rstrip(",")
                out["describe"] = line.strip()
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and cells[0] == "model" and "train steps/s" in cells and "samples/s" in cells:
                # the table's columns by name: ModelBench may add columns
                columns = (cells.index("train steps/s"), cells.index("samples/s"))
                continue
            if columns and cells and cells[0] in ROWS and len(cells) > max(columns):
                try:
                    out["models"][cells[0]] = (float(cells[columns[0]]), float(cells[columns[1]]))
                except ValueError:
                    pass
            m = re.match(r"\| median \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| \*\*([\d.]+)\*\* \|", line)
            if m:
                out["gemm"] = float(m.group(1))
                out["nice_over_gemm"] = float(m.group(4))
    return out


def parse_race(path):
    names, med, text = [], None, []
    with open(path) as f:
        for line in f:
            if line.startswith("backend "):
                text.append(line.strip())
            if line.startswith("| round |"):
                names = re.findall(r"(\S+) GFLOP/s", line)
            if line.startswith("| median |"):
                med = [float(v) for v in re.findall(r"([\d.]+)", line)]
    if not names or med is None:
        return None
    return {"names": names, "rates": med[:len(names)], "ratios": med[len(names):], "describe": text}


def main(argv):
    peer = json.load(open(argv[1]))
    race = parse_race(argv[2])
    benches = [parse_modelbench(p) for p in argv[3:]]
    backends = [b["backend"] for b in benches]
    print(f"CPU: {peer['cpu']}; PyTorch {peer['torch']}, {peer['threads']} threads")
    print()
    head = "| workload | PyTorch | " + " | ".join(backends) + " | best / PyTorch | cpu / PyTorch |"
    print(head)
    print("|---|" + "---:|" * (len(backends) + 3))

    def row(label, torch_value, values, fmt):
        cells = [fmt.format(v) if v is not None else "-" for v in values]
        present = [v for v in values if v is not None]
        best = max(present) / torch_value if present and torch_value else None
        cpu = values[backends.index("cpu")] if "cpu" in backends else None
        cpu_ratio = cpu / torch_value if cpu is not None and torch_value else None
        print(f"| {label} | {fmt.format(torch_value)} | " + " | ".join(cells)
              + f" | {best:.2f} |" if best is not None else " | - |", end="")
        print(f" {cpu_ratio:.2f} |" if cpu_ratio is not None else " - |")

    row("GEMM 1024 f32, GFLOP/s", peer["gemm_gflops"], [b["gemm"] for b in benches], "{:.1f}")
    for name in ROWS:
        if name not in peer:
            continue
        row(f"{name} train steps/s (B={peer[name]['batch']})", peer[name]["train_steps_per_s"],
            [b["models"].get(name, (None, None))[0] for b in benches], "{:.2f}")
        row(f"{name} samples/s (B={peer[name]['batch']})", peer[name]["samples_per_s"],
            [b["models"].get(name, (None, None))[1] for b in benches], "{:,.0f}")
    cells = " | ".join(f"{b['nice_over_gemm']:.2f}" if b["nice_over_gemm"] else "-" for b in benches)
    torch_ratio = peer["nice:paper"]["gflops"] / peer["gemm_gflops"] if "nice:paper" in peer else None
    print(f"| NICE step / own GEMM | {torch_ratio:.2f} | {cells} | - | - |")
    print()
    if race:
        print("GEMM 1024 float32 in one JVM, alternating rounds (GemmRace), medians: "
              + ", ".join(f"{n} {r:.1f} GFLOP/s" for n, r in zip(race["names"], race["rates"]))
              + "; " + ", ".join(f"{n} / {race['names'][-1]} = {r:.2f}" for n, r in zip(race["names"], race["ratios"])))
        for line in race["describe"]:
            print("  " + line)
    for b in benches:
        print("  " + (b["describe"] or "?"))


if __name__ == "__main__":
    main(sys.argv)
