include:
  - inc.not_there:
      ignore_missing: True

ignore_missing_state:
  test.succeed_without_changes: []
