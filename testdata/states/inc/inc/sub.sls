include:
  - inc.excluded

sub_state:
  test.succeed_without_changes:
    - comment: original comment
