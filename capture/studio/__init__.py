"""The virtual studio: a seeded anny person rendered from a camera rig, with ground truth (``twin capture
simulate``). Tests and the demo use it as input; the pipeline never reads its ``gt/`` folder."""
