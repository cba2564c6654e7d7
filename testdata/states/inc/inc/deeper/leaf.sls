include:
  - ..relup
  - .sibling

leaf_state:
  test.succeed_without_changes: []
