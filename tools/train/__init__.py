"""Training of the exporter's Cascade Mask R-CNN (tools/maskrt_export/modules.py) on synthetic cells, on CPU."""
