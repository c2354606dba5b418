"""``iacsieve label``: a team labels its own GLITCH detections into a corpus in the real-corpus format."""
