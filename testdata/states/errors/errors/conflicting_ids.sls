include:
  - errors.conflict_a
  - errors.conflict_b
