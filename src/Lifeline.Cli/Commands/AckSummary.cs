using System.Globalization;
using System.Text;
using Lifeline.Cli.Hub;

namespace Lifeline.Cli.Commands;

/// <summary>The ids the hub acknowledged, as merged ranges (a batch's ids are contiguous; batches may interleave with other publishers).</summary>
internal sealed class AckSummary
{
    private const int RangesShown = 4;
    private readonly List<(long First, long Last)> _ranges = [];

    public long Entries { get; private set; }

    public int Batches { get; private set; }

    public void Add(PublishAck ack)
    {
        Entries += ack.Count;
        Batches++;
        if (ack.Count == 0)
        {
            return;
        }

        if (_ranges.Count > 0 && _ranges[^1].Last + 1 == ack.FirstId)
        {
            _ranges[^1] = (_ranges[^1].First, ack.LastId);
        }
        else
        {
            _ranges.Add((ack.FirstId, ack.LastId));
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"acknowledged {Entries} {(Entries == 1 ? "entry" : "entries")} in {Batches} {(Batches == 1 ? "batch" : "batches")}");
        if (_ranges.Count > 0)
        {
            text.Append(_ranges.Count == 1 && _ranges[0].First == _ranges[0].Last ? ": id " : ": ids ");
            text.AppendJoin(", ", _ranges.Take(RangesShown).Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
            if (_ranges.Count > RangesShown)
            {
                text.Append(CultureInfo.InvariantCulture, $", ... ({_ranges.Count} ranges, last id {_ranges[^1].Last})");
            }
        }

        return text.ToString();
    }
}
