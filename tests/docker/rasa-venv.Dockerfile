# TEST FIXTURE, not part of any rendered bot: the shared layer of the rasa/rasa and rasa/rasa-sdk
# stand-ins (see tests/docker/README.md). Built by scripts/docker-sandbox only.
#
# Why: no registry is reachable from the test machines, and pip cannot reach PyPI from inside a
# build. So this image is the Debian bookworm minbase rootfs (the sandbox's imported base image)
# plus the pinned Rasa venv the rasa test tier already uses (tests/harness/venvs.py) and the pyenv
# Python it points to, both copied in at the SAME absolute paths (a venv hard-codes them).
# The official images keep their venv in /opt/venv; every rendered file only relies on `rasa`,
# `python` and `pip` being on PATH, which holds here too.
# Build context (streamed by the sandbox): python/ = the interpreter prefix, venv/ = the venv.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

ARG PYTHON_HOME
ARG RASA_VENV
COPY python ${PYTHON_HOME}
COPY venv ${RASA_VENV}

# The paths live under /root (mode 700 in Debian): let the images' user 1001 reach them. The
# official images ship compiled bytecode; the venv has it (uv --compile-bytecode) and user 1001
# cannot write it: compileall here only fills any gap, or every start pays ~10 s of CPU.
# pip as the official images have it (the rendered action Dockerfile runs `pip install`): the venv
# is shared with the rasa test tier, and a `uv pip sync` of the lock there removes pip (it is not
# in the lock), so the interpreter's own ensurepip puts it back here when missing (offline).
RUN chmod 0755 /root \
    && { "${RASA_VENV}/bin/python" -m pip --version >/dev/null 2>&1 || "${RASA_VENV}/bin/python" -m ensurepip --default-pip; } \
    && "${RASA_VENV}/bin/pip" --version \
    && "${RASA_VENV}/bin/python" -m compileall -q -j 0 "${RASA_VENV}/lib" >/dev/null

ENV VIRTUAL_ENV=${RASA_VENV} \
    PATH=${RASA_VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8
