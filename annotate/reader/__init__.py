"""The reader with its claims: an article's text with one layer's claims marked (the gold
layer, or one annotator's), for the curators and managers who may see every layer."""
