"""maskrt's exporter: detectron2 Cascade Mask R-CNN config + checkpoint -> maskrt model package, and the
PyTorch reference pipeline that the Java pipeline must match. Run with Debian's /usr/bin/python3."""
