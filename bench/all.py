"""Every benchmark in turn (`make bench`); each prints its own Markdown table."""

from bench import anatomy, embeddings, lm, metrics, tokenizers

if __name__ == "__main__":
    for module in (tokenizers, metrics, lm, embeddings, anatomy):
        print(f"\n## {module.__name__}\n")
        module.main()
