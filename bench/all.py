"""Every benchmark in turn (`make bench`); each prints its own Markdown tables, the figures of
docs/benchmarks.md. Measured on the machine that runs it: the load, attack and cluster runs start
their own servers on loopback. `bench.gpu` is run on a GPU server (docs/benchmarks.md#gpu).
"""

import sys

from bench import alignment, anatomy, attacks, cluster, embeddings, lm, load, metrics, reruns, tokenizers

RUNS = [(tokenizers, []), (metrics, []), (lm, []), (embeddings, []), (anatomy, []), (alignment, []),
        (alignment, ["--language", "zh"]), (reruns, []), (load, []), (attacks, []), (cluster, [])]

if __name__ == "__main__":
    for module, arguments in RUNS:
        print(f"\n## {' '.join([module.__name__, *arguments])}\n", flush=True)
        sys.argv = [module.__name__, *arguments]
        module.main()
