"""Write the built-in example profiles (src/gutbalance/data/example/).

These are *constructed, illustrative* MetaPhlAn 3 profiles, not people: three
compositions chosen to show what the scores respond to.  The species are
common human gut species with their MetaPhlAn 3 (mpa_v30) lineages; the
percentages are round illustrative numbers, not measurements.

- ``example_diverse``: a diverse community rich in butyrate producers
  (Faecalibacterium, Roseburia, Agathobacter), Bifidobacterium and Akkermansia.
- ``example_post_antibiotic``: low diversity, Bacteroides- and
  Enterobacteriaceae-dominated, as often described after broad-spectrum
  antibiotics (Dethlefsen & Relman 2011, PNAS, doi:10.1073/pnas.1000087107).
- ``example_inflamed``: Enterobacteriaceae bloom with oral streptococci and
  Veillonella in stool, the pattern described in inflammatory bowel disease
  (Lloyd-Price et al. 2019, Nature, doi:10.1038/s41586-019-1237-9).

Run: python scripts/make_example.py
"""

from __future__ import annotations

from pathlib import Path

L = {
    "Faecalibacterium_prausnitzii": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Faecalibacterium",
    "Roseburia_intestinalis": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia",
    "Roseburia_hominis": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Roseburia",
    "Eubacterium_rectale": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnospiraceae_unclassified",
    "Anaerostipes_hadrus": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Anaerostipes",
    "Ruminococcus_bromii": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Ruminococcaceae|g__Ruminococcus",
    "Eubacterium_hallii": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnospiraceae_unclassified",
    "Coprococcus_comes": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Coprococcus",
    "Bacteroides_uniformis": "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides",
    "Bacteroides_vulgatus": "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides",
    "Bacteroides_fragilis": "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides",
    "Alistipes_putredinis": "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Rikenellaceae|g__Alistipes",
    "Prevotella_copri": "k__Bacteria|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Prevotellaceae|g__Prevotella",
    "Bifidobacterium_adolescentis": "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium",
    "Bifidobacterium_longum": "k__Bacteria|p__Actinobacteria|c__Actinobacteria|o__Bifidobacteriales|f__Bifidobacteriaceae|g__Bifidobacterium",
    "Akkermansia_muciniphila": "k__Bacteria|p__Verrucomicrobia|c__Verrucomicrobiae|o__Verrucomicrobiales|f__Akkermansiaceae|g__Akkermansia",
    "Methanobrevibacter_smithii": "k__Archaea|p__Euryarchaeota|c__Methanobacteria|o__Methanobacteriales|f__Methanobacteriaceae|g__Methanobrevibacter",
    "Escherichia_coli": "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Escherichia",
    "Klebsiella_pneumoniae": "k__Bacteria|p__Proteobacteria|c__Gammaproteobacteria|o__Enterobacterales|f__Enterobacteriaceae|g__Klebsiella",
    "Enterococcus_faecium": "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Enterococcaceae|g__Enterococcus",
    "Streptococcus_salivarius": "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Streptococcus",
    "Streptococcus_parasanguinis": "k__Bacteria|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Streptococcaceae|g__Streptococcus",
    "Veillonella_parvula": "k__Bacteria|p__Firmicutes|c__Negativicutes|o__Veillonellales|f__Veillonellaceae|g__Veillonella",
    "Ruminococcus_gnavus": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Blautia",
    "Clostridium_bolteae": "k__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnoclostridium",
    "Bilophila_wadsworthia": "k__Bacteria|p__Proteobacteria|c__Deltaproteobacteria|o__Desulfovibrionales|f__Desulfovibrionaceae|g__Bilophila",
}

PROFILES = {
    "example_diverse": {
        "Faecalibacterium_prausnitzii": 14.0, "Eubacterium_rectale": 8.0, "Roseburia_intestinalis": 5.0,
        "Roseburia_hominis": 3.0, "Anaerostipes_hadrus": 3.0, "Ruminococcus_bromii": 5.0, "Eubacterium_hallii": 3.0,
        "Coprococcus_comes": 2.0, "Bacteroides_uniformis": 9.0, "Bacteroides_vulgatus": 8.0, "Bacteroides_fragilis": 1.0,
        "Alistipes_putredinis": 6.0, "Prevotella_copri": 12.0, "Bifidobacterium_adolescentis": 6.0,
        "Bifidobacterium_longum": 4.0, "Akkermansia_muciniphila": 4.0, "Methanobrevibacter_smithii": 2.0,
        "Escherichia_coli": 0.5, "Bilophila_wadsworthia": 0.5, "Ruminococcus_gnavus": 1.0,
    },
    "example_post_antibiotic": {
        "Bacteroides_vulgatus": 38.0, "Bacteroides_uniformis": 15.0, "Bacteroides_fragilis": 9.0,
        "Escherichia_coli": 18.0, "Klebsiella_pneumoniae": 6.0, "Enterococcus_faecium": 7.0,
        "Clostridium_bolteae": 4.0, "Faecalibacterium_prausnitzii": 1.0, "Bifidobacterium_longum": 2.0,
    },
    "example_inflamed": {
        "Escherichia_coli": 30.0, "Klebsiella_pneumoniae": 12.0, "Streptococcus_salivarius": 10.0,
        "Streptococcus_parasanguinis": 6.0, "Veillonella_parvula": 8.0, "Ruminococcus_gnavus": 14.0,
        "Enterococcus_faecium": 5.0, "Bacteroides_fragilis": 8.0, "Clostridium_bolteae": 5.0,
        "Faecalibacterium_prausnitzii": 1.0, "Bilophila_wadsworthia": 1.0,
    },
}


def profile_text(name: str, species: dict[str, float]) -> str:
    total = sum(species.values())
    clades: dict[str, float] = {}
    for sp_name, value in species.items():
        parts = (L[sp_name] + "|s__" + sp_name).split("|")
        for depth in range(1, len(parts) + 1):
            key = "|".join(parts[:depth])
            clades[key] = clades.get(key, 0.0) + 100.0 * value / total
    lines = [
        "#mpa_v30_CHOCOPhlAn_201901",
        f"#gutbalance built-in example ({name}): a constructed, illustrative profile, not a real person",
        f"#SampleID\t{name}",
        "#clade_name\tNCBI_tax_id\trelative_abundance\tadditional_species",
    ]
    for key in sorted(clades, key=lambda k: (k.count("|"), -clades[k], k)):
        lines.append(f"{key}\t\t{round(clades[key], 5)}\t")
    return "\n".join(lines) + "\n"


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "src" / "gutbalance" / "data" / "example"
    out.mkdir(parents=True, exist_ok=True)
    for name, species in PROFILES.items():
        (out / f"{name}.txt").write_text(profile_text(name, species), encoding="utf-8")



if __name__ == "__main__":
    main()
