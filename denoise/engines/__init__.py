"""Denoise engines: plain functions over (channels, samples) float32 arrays, no Django."""
