t_nop:
  test.nop: []

t_succeed_without:
  test.succeed_without_changes: []

t_succeed_with:
  test.succeed_with_changes: []

t_fail_without:
  test.fail_without_changes: []

t_fail_with:
  test.fail_with_changes: []

t_configurable:
  test.configurable_test_state:
    - changes: True
    - result: True
    - comment: configured comment
    - warnings: a warning

t_configurable_false:
  test.configurable_test_state:
    - changes: False
    - result: False
    - comment: configured failure

t_show_notification:
  test.show_notification:
    - text: notification text

t_check_pillar:
  test.check_pillar:
    - present:
      - root
    - string:
      - root

t_comment_kw:
  test.succeed_without_changes:
    - comment: custom comment
