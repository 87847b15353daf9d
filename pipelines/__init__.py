from pipelines.quiet import quiet_known_noise

# Before any submodule imports Beam or a model library (see pipelines/quiet.py).
quiet_known_noise()
