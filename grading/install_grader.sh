#!/usr/bin/env bash
# Installs the grader on a GitHub-hosted Ubuntu runner, for grade-class.yml: bubblewrap (the
# sandbox that student code runs in) with the user namespaces it needs, then CPU PyTorch at the
# version requirements.txt pins, the course's requirements and the course itself, into the
# runner's Python. Run from the course repository's root.
set -euo pipefail

sudo apt-get update -qq
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap
# Ubuntu 24.04 lets only programs with an AppArmor profile make user namespaces; bubblewrap has none.
if [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then
    sudo sysctl -q -w kernel.apparmor_restrict_unprivileged_userns=0
fi
bwrap --unshare-all --ro-bind / / true || {
    echo "install_grader: bubblewrap cannot make a sandbox on this runner" >&2
    exit 1
}

torch_pin=$(grep -E '^torch==' requirements.txt)
python -m pip install --quiet "$torch_pin" --index-url https://download.pytorch.org/whl/cpu
python -m pip install --quiet -r requirements.txt
python -m pip install --quiet --no-deps -e .
python -c "import torch, autograder, dlcourse; print('grader installed, torch', torch.__version__)"
