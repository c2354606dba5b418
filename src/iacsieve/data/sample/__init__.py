"""The embedded sample corpus: seeded Ansible/Chef/Puppet projects shaped like real roles, cookbooks and
modules, the detections GLITCH 2.0's rules report on them, and labels that follow the labelling guide.

``generate_sample(out_dir, params.sample)`` (the validated ``sample`` section of params.yaml) writes::

    <out_dir>/ansible/<project>/...yml   <out_dir>/chef/<cookbook>/...rb   <out_dir>/puppet/<module>/...pp
    <out_dir>/glitch/{ansible,chef,puppet}.csv   GLITCH --csv output, as if run from <out_dir>
    <out_dir>/labels.csv                         PATH,LINE,CODE,LABEL (CODE = GLITCH smell code)
"""

from __future__ import annotations

from pathlib import Path

from iacsieve.atomic import atomic_dir
from iacsieve.data.sample import rules
from iacsieve.data.sample.corpus import Corpus, build_corpus
from iacsieve.params import SampleParams
from iacsieve.smells import TECHS

__all__ = ["Corpus", "build_corpus", "generate_sample", "rules"]


def generate_sample(out_dir: Path, params: SampleParams) -> dict:
    """Generate the corpus and write it to ``out_dir`` atomically (complete or not at all).

    Returns the stats: detections per technology x trained smell x label, TP share, noise rate, files.
    """
    corpus = build_corpus(params)
    with atomic_dir(out_dir) as staging:
        for path, source in corpus.files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.text, encoding="utf-8", newline="\n")
        glitch = staging / "glitch"
        glitch.mkdir()
        for tech in TECHS:
            (glitch / f"{tech}.csv").write_text(corpus.glitch_csv(tech), encoding="utf-8", newline="\n")
        (staging / "labels.csv").write_text(corpus.labels_csv(), encoding="utf-8", newline="\n")
    return corpus.stats
