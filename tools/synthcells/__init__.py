"""Synthetic phase-contrast-like cell images with instance masks (Sartorius-like), for the sample model."""
