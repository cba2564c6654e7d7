sid_dep:
  test.succeed_with_changes: []

sid_target:
  test.succeed_without_changes:
    - require:
      - test: sid_dep

sid_other:
  test.succeed_without_changes: []
