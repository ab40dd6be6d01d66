class CheckpointManager:  # placeholder until written
    pass
