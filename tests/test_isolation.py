"""Sandbox uids: workers started at the same time, by any grading processes on the machine,
never share a uid (and with it a process limit that one student's fork bomb would fill)."""
from __future__ import annotations

import os

from autograder.isolation import UID_COUNT, UID_FIRST, UidLease

PROCESSES = 300  # more than the 250 values that (pid * 16) mod 4000 / 16 can take


def test_workers_of_many_processes_never_share_a_uid():
    release_r, release_w = os.pipe()
    pids, reads = [], []
    for _ in range(PROCESSES):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                os.close(release_w)
                os.write(w, f"{UidLease().uid}".encode())
                os.read(release_r, 1)  # hold the lease until the parent has read every uid
            finally:
                os._exit(0)
        os.close(w)
        pids.append(pid)
        reads.append(r)
    try:
        uids = [int(os.read(r, 32)) for r in reads]
    finally:
        os.close(release_w)
        for pid in pids:
            os.waitpid(pid, 0)
        for r in [release_r, *reads]:
            os.close(r)
    assert len(set(uids)) == PROCESSES
    assert all(UID_FIRST <= u < UID_FIRST + UID_COUNT for u in uids)


def test_a_released_uid_can_be_claimed_again():
    first = UidLease()
    uid = first.uid
    first.release()
    again = [UidLease(), UidLease()]
    try:
        assert uid in {a.uid for a in again} and again[0].uid != again[1].uid
    finally:
        for lease in again:
            lease.release()
