"""Draw docs/img/im2col.png: how conv2d becomes one matrix product (run from the repo root)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]
LETTERS = "abcdefghijklmnop"


def grid(ax, x0, y0, rows, cols, labels, fill=None, size=1.0, fontsize=11):
    for r in range(rows):
        for c in range(cols):
            color = fill(r, c) if fill else "white"
            ax.add_patch(Rectangle((x0 + c * size, y0 - (r + 1) * size), size, size,
                                   facecolor=color, edgecolor="black", lw=1))
            ax.text(x0 + (c + 0.5) * size, y0 - (r + 0.5) * size, labels(r, c),
                    ha="center", va="center", fontsize=fontsize)


def main():
    fig, ax = plt.subplots(figsize=(13, 5.2))
    ax.set_xlim(-0.5, 22.5)
    ax.set_ylim(-9.9, 1.7)
    ax.axis("off")
    # input 4x4, four 3x3 windows (stride 1) -> output 2x2
    grid(ax, 0, 0, 4, 4, lambda r, c: LETTERS[4 * r + c])
    for i, (r0, c0) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inset = 0.06 * (i + 1)
        ax.add_patch(Rectangle((c0 + inset, -(r0 + 3) + inset), 3 - 2 * inset, 3 - 2 * inset,
                               fill=False, edgecolor=COLORS[i], lw=2.5))
    ax.text(2, 0.8, "input x (C=1, 4x4)\nfour 3x3 windows", ha="center", fontsize=12)
    ax.text(2, -5.2, "window_view: a strided view\n(N, C, kH, kW, H_out, W_out),\nno copy",
            ha="center", va="top", fontsize=10.5, family="monospace")
    # the im2col matrix: 9 rows (kernel offsets) x 4 columns (windows)
    windows = [(0, 0), (0, 1), (1, 0), (1, 1)]
    x0 = 7.5
    grid(ax, x0, 0.6, 9, 4, lambda r, c: LETTERS[4 * (windows[c][0] + r // 3) + windows[c][1] + r % 3],
         fill=lambda r, c: COLORS[c] + "55", size=0.9)
    ax.text(x0 + 1.8, 1.1, "cols = im2col(x)\n(C*kH*kW, windows)", ha="center", fontsize=12)
    ax.add_patch(FancyArrowPatch((4.3, -2), (7.2, -2), arrowstyle="-|>", mutation_scale=20, lw=1.5))
    ax.text(5.75, -1.7, "one copyto", ha="center", fontsize=10)
    # weight row @ cols = output row
    x1 = 12.6
    grid(ax, x1, -1.3, 1, 9, lambda r, c: f"w{c}", size=0.55, fontsize=8)
    ax.text(x1 + 2.5, -0.6, "W (O, C*kH*kW)", ha="center", fontsize=12)
    ax.text(x1 + 2.5, -2.5, "@ cols  =", ha="center", fontsize=13)
    grid(ax, x1 + 0.9, -3.2, 1, 4, lambda r, c: f"y{c}", fill=lambda r, c: COLORS[c] + "55", size=0.9)
    ax.text(x1 + 2.7, -4.45, "y (O, windows)\n-> reshape (N, O, 2, 2)", ha="center", va="top", fontsize=11)
    grid(ax, 20, -1.3, 2, 2, lambda r, c: f"y{2 * r + c}", fill=lambda r, c: COLORS[2 * r + c] + "55")
    ax.text(21, -0.6, "output", ha="center", fontsize=12)
    ax.text(11.3, -9.0,
            "backward:  grad_W = grad_y @ cols^T      grad_cols = W^T @ grad_y  ->  col2im: add each column "
            "back onto its window\n(one strided slice-add per kernel offset, overlaps accumulate) = "
            "conv_transpose2d(grad_y, W)",
            ha="center", fontsize=10.5)
    fig.savefig("docs/img/im2col.png", dpi=110, bbox_inches="tight")


if __name__ == "__main__":
    main()
