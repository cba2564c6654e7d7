include:
  - req.other

a_changes:
  test.succeed_with_changes: []

b_nochange:
  test.succeed_without_changes: []

c_fail:
  test.fail_without_changes: []

require_ok:
  test.succeed_without_changes:
    - require:
      - test: a_changes

require_failed:
  test.succeed_without_changes:
    - require:
      - test: c_fail

require_sls_form:
  test.succeed_without_changes:
    - require:
      - sls: req.other

require_id_form:
  test.succeed_without_changes:
    - require:
      - id: b_nochange

require_glob:
  test.succeed_without_changes:
    - require:
      - test: a_*

require_missing:
  test.succeed_without_changes:
    - require:
      - test: does_not_exist

watch_changed:
  cmd.wait:
    - name: echo watch-fired
    - watch:
      - test: a_changes

watch_unchanged:
  cmd.wait:
    - name: echo watch-not-fired
    - watch:
      - test: b_nochange

watch_test_state:
  test.succeed_without_changes:
    - watch:
      - test: a_changes

onchanges_yes:
  test.succeed_without_changes:
    - onchanges:
      - test: a_changes

onchanges_no:
  test.succeed_without_changes:
    - onchanges:
      - test: b_nochange

onfail_yes:
  test.succeed_without_changes:
    - onfail:
      - test: c_fail

onfail_no:
  test.succeed_without_changes:
    - onfail:
      - test: a_changes

onfail_all_mixed:
  test.succeed_without_changes:
    - onfail_all:
      - test: c_fail
      - test: a_changes

onfail_any_mixed:
  test.succeed_without_changes:
    - onfail_any:
      - test: c_fail
      - test: a_changes

require_any_mixed:
  test.succeed_without_changes:
    - require_any:
      - test: c_fail
      - test: a_changes

require_any_all_fail:
  test.succeed_without_changes:
    - require_any:
      - test: c_fail
      - test: other_fail

onchanges_any_mixed:
  test.succeed_without_changes:
    - onchanges_any:
      - test: b_nochange
      - test: a_changes

watch_any_mixed:
  cmd.wait:
    - name: echo watch-any-fired
    - watch_any:
      - test: c_fail
      - test: a_changes

prereq_target:
  test.succeed_with_changes: []

prereq_runner:
  test.succeed_with_changes:
    - prereq:
      - test: prereq_target

prereq_target_nochange:
  test.succeed_without_changes: []

prereq_runner_nochange:
  test.succeed_with_changes:
    - prereq:
      - test: prereq_target_nochange

use_source:
  cmd.run:
    - name: echo use-source
    - env:
      - USE_VAR: from-source

use_user:
  cmd.run:
    - name: echo use-user $USE_VAR
    - use:
      - cmd: use_source

listen_cmd:
  cmd.run:
    - name: echo listen-cmd
    - listen:
      - test: a_changes

listen_nochange:
  cmd.run:
    - name: echo listen-nochange
    - listen:
      - test: b_nochange

in_target:
  test.succeed_without_changes: []

require_in_source:
  test.succeed_without_changes:
    - require_in:
      - test: in_target

watch_in_source:
  test.succeed_with_changes:
    - watch_in:
      - cmd: watch_in_target

watch_in_target:
  cmd.wait:
    - name: echo watch-in-fired

onchanges_in_source:
  test.succeed_with_changes:
    - onchanges_in:
      - test: onchanges_in_target

onchanges_in_target:
  test.succeed_without_changes: []

onfail_in_source:
  test.fail_without_changes:
    - onfail_in:
      - test: onfail_in_target

onfail_in_target:
  test.succeed_without_changes: []
