loop_a:
  test.succeed_without_changes:
    - require:
      - test: loop_b

loop_b:
  test.succeed_without_changes:
    - require:
      - test: loop_a
