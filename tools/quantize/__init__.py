"""`python3 -m tools.quantize`: static QDQ int8 graphs for a maskrt model package (see tools/README.md)."""
