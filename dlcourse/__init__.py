"""dlcourse: the small library shared by every chapter of the course.

Chapter notebooks import from here instead of copying code between notebooks:
device selection, seeding, offline data sets, a training loop with a progress
bar, plotting helpers, and the public checks that give students feedback.
"""
from dlcourse.device import get_device, to_device, use_available_cpus
from dlcourse.seed import set_seed

__all__ = ["get_device", "to_device", "set_seed", "use_available_cpus"]
