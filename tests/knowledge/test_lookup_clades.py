from gutbalance.knowledge import lookup


def test_a_clade_of_a_species_complex_takes_the_species_rows():
    # MetaPhlAn 4's s__Prevotella_copri_clade_A is a member of the P. copri
    # complex, whose rows come from studies that could not tell the clades apart.
    species = lookup("Segatella copri")
    clade = lookup("Prevotella_copri_clade_A")
    assert not species.empty
    on_species = species[species["resolved_rank"] == "species"].set_index("trait")
    on_clade = clade.set_index("trait").loc[on_species.index]
    assert (on_clade["resolved_taxon"] == "Segatella copri").all()
    assert on_clade["value"].tolist() == on_species["value"].tolist()
