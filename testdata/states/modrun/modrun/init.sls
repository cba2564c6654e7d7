legacy_ping:
  module.run:
    - name: test.ping

legacy_kwargs:
  module.run:
    - name: test.echo
    - text: hello

legacy_mname:
  module.run:
    - name: group.info
    - m_name: root

legacy_false:
  module.run:
    - name: test.false

legacy_missing_fun:
  module.run:
    - name: test.no_such_function

legacy_missing_arg:
  module.run:
    - name: test.echo

legacy_cmd:
  module.run:
    - name: cmd.run
    - cmd: echo legacy

new_ping:
  module.run:
    - test.ping:

new_echo:
  module.run:
    - test.echo:
      - text: hi

new_multi:
  module.run:
    - test.arg:
      - a
      - b
      - kw: v
    - cmd.run:
      - cmd: echo multi

new_false:
  module.run:
    - test.false:

new_missing_fun:
  module.run:
    - test.no_such_function:

new_missing_arg:
  module.run:
    - test.echo:

new_retcode:
  module.run:
    - cmd.retcode:
      - cmd: exit 3
      - python_shell: True

watched:
  test.succeed_with_changes:
    - name: watched

wait_legacy:
  module.wait:
    - name: test.echo
    - text: waited
    - watch:
      - test: watched

run_on_watch:
  module.run:
    - test.echo:
      - text: on watch
    - watch:
      - test: watched
