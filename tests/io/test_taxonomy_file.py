"""Table labels and mothur's taxonomy strings as gutbalance reads them."""

import pytest

from gutbalance.errors import TaxonomyError
from gutbalance.io.feature_table import label_lineage
from gutbalance.io.taxonomy_file import mothur_lineage


def test_mothurs_silva_rank_fillers_are_placeholders():
    """SILVA names an unnamed rank after its parent with a rank suffix in
    mothur's references (``Muribaculaceae_ge``): not a genus of its own."""
    lineage = mothur_lineage("Bacteria(100);Bacteroidetes(100);Bacteroidia(100);Bacteroidales(100);"
                             "Muribaculaceae(100);Muribaculaceae_ge(100);")
    assert "Muribaculaceae_ge" not in lineage
    assert lineage.rstrip("; ").endswith("Muribaculaceae")


def test_a_feature_id_is_never_a_taxon_name_whatever_rank_is_declared():
    for label in ("4b5eeb300368260019c1fbc7a3c718fc", "1234"):
        for rank in (None, "genus"):
            with pytest.raises(TaxonomyError, match="feature id"):
                label_lineage(label, rank=rank)
    assert [t.id for t in label_lineage("Bacteroides", rank="genus")] == ["g__Bacteroides"]
