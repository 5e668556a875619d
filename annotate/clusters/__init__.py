"""Claim clusters: claims of many articles that state the same proposition, grouped in a
layer (an annotator's own, or gold), with suggested members, a page per cluster, agreement
between layers and adjudication into gold (docs/guide/clusters.md)."""
