"""Plain-Python audio: decoding, encoding, loudness. No Django, HTTP or Celery here.

Arrays are float32 shaped (channels, samples), as in librosa and Demucs.
"""
