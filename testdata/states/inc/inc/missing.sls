include:
  - inc.not_there

missing_include_state:
  test.succeed_without_changes: []
