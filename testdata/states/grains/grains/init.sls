sg_present:
  grains.present:
    - name: sgrole
    - value: web

sg_present_nested:
  grains.present:
    - name: sgnested:key
    - value:
      - a
      - b
    - force: True

sg_present_same:
  grains.present:
    - name: sgkeep
    - value: same

sg_list_present:
  grains.list_present:
    - name: sgroles
    - value:
      - db
      - cache

# Not on sgroles: Python's list_present returns the live grain list in its
# changes, so a later list_absent of the same grain would show up in them.
sg_list_absent:
  grains.list_absent:
    - name: sgtags
    - value: cache

sg_absent:
  grains.absent:
    - name: sgold

sg_absent_destructive:
  grains.absent:
    - name: sgtmp
    - destructive: True

sg_absent_missing:
  grains.absent:
    - name: sgnever
