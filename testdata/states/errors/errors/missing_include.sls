include:
  - errors.not_there

after_missing_include:
  test.succeed_without_changes: []
