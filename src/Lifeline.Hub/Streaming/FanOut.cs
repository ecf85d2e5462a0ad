using Lifeline.Hub.Log;
using Lifeline.Hub.Monitoring;
using Lifeline.Hub.Storage;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// Live delivery: the subscribers, grouped by filter; the committed marker; the recent frames; the heartbeats.
/// <para>
/// Invariant (the resume seam): <see cref="CommittedId"/> changes only under <see cref="_lock"/>, together with the
/// enqueue of the frames holding those ids, so a subscriber that starts accepting under that lock and reads the
/// marker there gets every later id live, and reads every earlier one from the log.
/// </para>
/// <para>
/// Lock order: <see cref="_lock"/> is taken before a <see cref="SubscriberQueue"/>'s lock (enqueue), never after; no
/// other lock is taken under it. Frames are built outside it; only the marker and the enqueues are under it.
/// </para>
/// Thread-safe. <see cref="Publish"/> and <see cref="Deliver"/> are called by the log's one committing thread.
/// </summary>
internal sealed partial class FanOut(HubOptions options, HubMetrics metrics) : ICommitSink
{
    private readonly Lock _lock = new();
    private FilterGroup[] _groups = [];
    private long _committedId;

    // Owned by the committing thread (Publish, Deliver).
    private readonly Dictionary<FilterGroup, List<SharedFrame>> _built = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<List<SharedFrame>> _spareLists = new();
    private readonly List<Subscriber> _claimed = [];

    /// <summary>Recent unfiltered live frames, for catch-up over recent ids.</summary>
    public RecentFrames RecentFrames { get; } = new(options.RecentFramesBytes);

    /// <summary>The newest id fanned out: every id after it reaches a subscriber accepting now live.</summary>
    public long CommittedId => Volatile.Read(ref _committedId);

    /// <summary>The current subscribers.</summary>
    public IEnumerable<Subscriber> Subscribers => Volatile.Read(ref _groups).SelectMany(g => g.Members);

    /// <summary>Sets the marker to the log's newest id when the hub starts.</summary>
    public void Start(long committedId)
    {
        lock (_lock)
        {
            _committedId = committedId;
        }
    }

    /// <summary>Adds a subscriber, accepting live frames now when <paramref name="acceptLive"/>; returns the marker.</summary>
    public long Add(Subscriber subscriber, bool acceptLive)
    {
        lock (_lock)
        {
            var groups = _groups;
            var index = Array.FindIndex(groups, g => g.Filter.Equals(subscriber.Filter));
            _groups = index < 0
                ? [.. groups, new FilterGroup(subscriber.Filter, [subscriber])]
                : [.. groups[..index], groups[index] with { Members = [.. groups[index].Members, subscriber] }, .. groups[(index + 1)..]];
            if (acceptLive)
            {
                subscriber.Queue.Accept();
            }

            return _committedId;
        }
    }

    /// <summary>Makes a registered subscriber accept live frames again (after catch-up); returns the marker.</summary>
    public long AcceptLive(Subscriber subscriber)
    {
        lock (_lock)
        {
            subscriber.Queue.Accept();
            return _committedId;
        }
    }

    public void Remove(Subscriber subscriber)
    {
        lock (_lock)
        {
            _groups = [.. _groups
                .Select(g => g with { Members = [.. g.Members.Where(m => m != subscriber)] })
                .Where(g => g.Members.Length > 0)];
        }
    }

    public void Publish(IReadOnlyList<StoredEntry> batch)
    {
        // Frames for the groups as they are now, built outside the lock; a group that appears meanwhile (rare: a new
        // filter) has its frames built under it.
        var groups = Volatile.Read(ref _groups);
        foreach (var group in groups)
        {
            Build(group, batch, remember: true);
        }

        try
        {
            lock (_lock)
            {
                _committedId = batch[^1].Id;
                foreach (var group in _groups)
                {
                    if (!_built.TryGetValue(group, out var frames))
                    {
                        frames = Build(group, batch, remember: false);
                    }

                    foreach (var member in group.Members)
                    {
                        foreach (var frame in frames)
                        {
                            if (!member.Queue.Enqueue(frame, out var claimed))
                            {
                                metrics.Overflowed();
                                break;
                            }

                            if (claimed)
                            {
                                _claimed.Add(member);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var frames in _built.Values)
            {
                frames.Clear();
                _spareLists.Push(frames);
            }

            _built.Clear();
        }
    }

    public void Deliver()
    {
        // Outside the lock: a claimed subscriber's sender is idle and owned by this thread until its queue parks it again.
        foreach (var s in _claimed)
        {
            s.Queue.Pump();
        }

        _claimed.Clear();
    }

    // remember: keep unfiltered frames in RecentFrames (never under _lock: its lock is not taken under ours). A frame
    // there beyond the marker is harmless: catch-up uses only frames that end at or before the marker it read.
    private List<SharedFrame> Build(FilterGroup group, IReadOnlyList<StoredEntry> batch, bool remember)
    {
        var frames = _spareLists.TryPop(out var spare) ? spare : [];
        SharedFrame.Build(batch, group.Filter, options.MaxFrameBytes, frames);
        if (remember && group.Filter.MatchesAll)
        {
            foreach (var frame in frames)
            {
                RecentFrames.Add(frame);
            }
        }

        _built[group] = frames;
        return frames;
    }
}
