"""One run over a catalog: jobs and their output keys, stored outputs, the manifest, progress, replays."""
