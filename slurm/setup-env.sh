# Sourced by every SLURM task of `iacsieve sweep --slurm` before it runs, from the repository root.
# Put your site's set-up here (module load ..., conda activate ..., HF_HOME=...). The default
# activates the repository's virtualenv created by `make install`.
if [ -f .venv/bin/activate ]; then
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
export DVC_NO_ANALYTICS=1
