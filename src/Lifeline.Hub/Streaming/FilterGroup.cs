using Lifeline.Protocol;

namespace Lifeline.Hub.Streaming;

/// <summary>Subscribers with the same content filter: they share the frames built for it. Immutable (copied on change).</summary>
internal sealed record FilterGroup(LogFilter Filter, Subscriber[] Members);
