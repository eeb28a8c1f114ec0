"""Extract the rate constants of the Leber et al. 2015 mucosal-immunity model.

Parses the SBML file BIOMD0000000583 (Leber A et al. 2015, PLoS ONE
10:e0134849, doi:10.1371/journal.pone.0134849; BioModels, CC0) kept in
../shared/data/dynamics/leber2015 with the standard library's XML parser and
writes ``src/gutbalance/simulate/data/leber2015_rates.tsv``: one row per local
kinetic-law parameter with its reaction, the reaction's reactants -> products
and the kinetic law written out (function definitions expanded by name).
Time unit of the model: day (SBML unit definition 'time' = 86400 s).

The gut-immune model of gutbalance takes the first-order turnover rates it
needs from this table by (reaction, parameter) and says so per parameter in
``immune_parameters.tsv``.

Run: ``python scripts/build_leber_params.py [SHARED_DIR]``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from shared_data import require_shared

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "gutbalance" / "simulate" / "data" / "leber2015_rates.tsv"
CITATION = "Leber A et al. 2015, PLoS ONE 10:e0134849, doi:10.1371/journal.pone.0134849 (BioModels BIOMD0000000583)"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
OPS = {"times": "*", "plus": "+", "minus": "-", "divide": "/", "power": "^"}


def render(node: ET.Element) -> str:
    tag = node.tag.replace(MATHML, "")
    if tag in ("ci", "cn"):
        return (node.text or "").strip()
    if tag == "math":
        return render(list(node)[0])
    if tag == "apply":
        head, *args = list(node)
        op = head.tag.replace(MATHML, "")
        parts = [render(a) for a in args]
        if op in OPS:
            if op == "minus" and len(parts) == 1:
                return f"-{parts[0]}"
            return "(" + f" {OPS[op]} ".join(parts) + ")"
        name = (head.text or "").strip() if op == "ci" else op
        return f"{name}(" + ", ".join(parts) + ")"
    raise SystemExit(f"unsupported MathML element {tag!r}")


def main(shared: Path) -> None:
    path = shared / "dynamics" / "leber2015" / "BIOMD0000000583.xml"
    root = ET.parse(path).getroot()
    sbml = root.tag.split("}")[0] + "}"
    model = root.find(f"{sbml}model")
    time_unit = next((u for u in model.iter(f"{sbml}unitDefinition") if u.get("id") == "time"), None)
    seconds = float(time_unit.find(f".//{sbml}unit").get("multiplier")) if time_unit is not None else None
    if seconds != 86400.0:
        raise SystemExit(f"expected the model's time unit to be one day, found {seconds} s")
    rows = []
    for reaction in model.iter(f"{sbml}reaction"):
        def species(list_name: str, reaction: ET.Element = reaction) -> str:
            holder = reaction.find(f"{sbml}{list_name}")
            return "+".join(s.get("species") for s in holder) if holder is not None else ""

        law = reaction.find(f"{sbml}kineticLaw")
        formula = render(law.find(f"{MATHML}math"))
        for param in law.iter(f"{sbml}parameter"):
            rows.append(
                (reaction.get("id"), param.get("id"), float(param.get("value")),
                 f"{species('listOfReactants') or '0'} -> {species('listOfProducts') or '0'}", formula)
            )
    lines = [
        f"# Kinetic-law parameters of {CITATION}.",
        "# Derived by scripts/build_leber_params.py from the SBML file; time unit: day; evidence: fitted model (mouse).",
        "reaction\tparameter\tvalue\treaction_scheme\tkinetic_law",
    ]
    lines += [f"{r}\t{p}\t{v!r}\t{s}\t{f}" for r, p, v, s, f in rows]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} parameters of {len({r[0] for r in rows})} reactions to {OUT}")


if __name__ == "__main__":
    main(require_shared(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
