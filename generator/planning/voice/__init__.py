"""Voice-over lines: the written words captions show and the spoken form a speech engine is given."""
