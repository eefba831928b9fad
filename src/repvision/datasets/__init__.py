"""Dataset loaders: each turns a public dataset's files into :class:`repvision.types.PoseSequence` objects."""
