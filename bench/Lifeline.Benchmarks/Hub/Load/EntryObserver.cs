namespace Lifeline.Benchmarks.Hub.Load;

/// <summary>What a <see cref="LeanSubscriber"/> calls for each entry it receives: its id (0 if none) and the frame's bytes from just after the id.</summary>
internal delegate void EntryObserver(long id, ReadOnlySpan<byte> rest);
