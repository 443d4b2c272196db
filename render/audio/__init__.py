"""A video's sound: the master mix of music and voice (``mix``) and the QC of an encoded file's audio (``measure``)."""
