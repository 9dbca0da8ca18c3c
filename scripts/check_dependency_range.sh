#!/usr/bin/env bash
# Check both ends of the supported dependency range (README, "Supported dependency versions"):
# the oldest grpclib + protobuf and the newest grpclib + protobuf 7.x, each in a fresh virtual
# environment under a temporary folder, running a small set of integration tests against them
# (grpcio is there only as the test dependency behind tests/integration/grpcio_host.py).
#
#   bash scripts/check_dependency_range.sh            # both ends
#   bash scripts/check_dependency_range.sh oldest     # or one of: oldest, newest
#
# Exits non-zero, saying which step failed, if a virtual environment cannot be made, an install
# fails, the installed versions are not the ones asked for, or a test fails.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python}"
TESTS=(tests/integration/test_v1_guide.py tests/integration/test_channel.py tests/integration/test_grpcio_server.py
       tests/unit/test_transport.py tests/unit/test_grpc_stream.py)
COMMON=(azure-functions grpcio pytest pytest-timeout psutil)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/quickfunc-deps.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

fail() {
    echo "check_dependency_range: FAILED: $*" >&2
    exit 1
}

# check_end NAME EXPECTED_GRPCLIB_REGEX EXPECTED_PROTOBUF_REGEX PIP_REQUIREMENT...
check_end() {
    local name="$1" want_grpc="$2" want_protobuf="$3"
    shift 3
    local venv="$WORK/$name" py
    echo "== $name: $*"
    "$PYTHON" -m venv "$venv" || fail "$name: could not create a virtual environment in $venv"
    py="$venv/bin/python"
    "$py" -m pip install --quiet --disable-pip-version-check "$@" "${COMMON[@]}" \
        || fail "$name: pip could not install $* ${COMMON[*]}"
    "$py" -m pip install --quiet --disable-pip-version-check --no-deps -e "$REPO" \
        || fail "$name: pip could not install this package (--no-deps)"
    local versions
    versions="$("$py" -c 'from importlib.metadata import version; print(version("grpclib"), version("protobuf"))')" \
        || fail "$name: the versions of grpclib and protobuf cannot be read"
    echo "   installed: grpclib ${versions% *}, protobuf ${versions#* }"
    [[ "${versions% *}" =~ ^${want_grpc}$ ]] || fail "$name: grpclib ${versions% *} is not $want_grpc"
    [[ "${versions#* }" =~ ^${want_protobuf}$ ]] || fail "$name: protobuf ${versions#* } is not $want_protobuf"
    (cd "$REPO" && "$py" -m pytest -q -p no:cacheprovider "${TESTS[@]}") \
        || fail "$name: tests failed with grpclib ${versions% *}, protobuf ${versions#* }"
}

ends=("${@:-oldest newest}")
for end in ${ends[*]}; do
    case "$end" in
        oldest) check_end oldest '0\.4\.8' '4\.21\.6' "grpclib==0.4.8" "h2==4.1.0" "protobuf==4.21.6" ;;
        newest) check_end newest '[0-9.]+' '7\.[0-9.]+' --upgrade grpclib "protobuf>=7,<8" ;;
        *) fail "unknown end '$end' (use oldest or newest)" ;;
    esac
done
echo "check_dependency_range: OK (${ends[*]})"
