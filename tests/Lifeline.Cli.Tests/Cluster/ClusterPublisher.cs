using System.Net;
using System.Text;
using Lifeline.Protocol;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// <c>POST /v1/logs</c> to any node with an <c>Idempotency-Key</c>, the way a publisher that retries does: entries
/// whose messages name the key and their index in the request (<c>{key}#{index}</c>), so the test can check where
/// each acked entry ended up.
/// </summary>
internal static class ClusterPublisher
{
    /// <summary>The answer of one POST: its status, the ack when 200, whether it was a replay, and the body otherwise.</summary>
    public sealed record Answer(HttpStatusCode Status, PublishResult? Ack, bool Replayed, string Body);

    /// <summary>The message of entry <paramref name="index"/> of the request with <paramref name="key"/>.</summary>
    public static string Message(string key, int index) => $"{key}#{index}";

    /// <summary>Posts <paramref name="count"/> entries with <paramref name="key"/> to <paramref name="node"/> with the writer key.</summary>
    public static async Task<Answer> PostAsync(HubNode node, string key, int count, CancellationToken cancellationToken = default)
    {
        var body = new StringBuilder("[");
        for (var i = 0; i < count; i++)
        {
            body.Append(i == 0 ? "" : ",").Append("{\"level\":\"information\",\"source\":\"cluster-test\",\"message\":\"").Append(Message(key, i)).Append("\"}");
        }

        body.Append(']');
        using var request = new HttpRequestMessage(HttpMethod.Post, node.Url("v1/logs")) { Content = new StringContent(body.ToString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        request.Headers.Authorization = new("Bearer", LocalCluster.WriteKey);
        using var response = await node.Http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? new Answer(response.StatusCode, HttpBodyJson.ParsePublishResult(Encoding.UTF8.GetBytes(text)), response.Headers.Contains("Idempotent-Replayed"), text)
            : new Answer(response.StatusCode, null, false, text);
    }

    /// <summary>
    /// Checks acks against a log: each ack's ids are contiguous and hold exactly its request's entries in order, and
    /// every entry of the log belongs to exactly one acked request (nothing stored twice, nothing unacked).
    /// </summary>
    public static void AssertEachAckedEntryExactlyOnce(IReadOnlyDictionary<string, PublishResult> acks, IReadOnlyList<LogEntry> log)
    {
        var byId = log.ToDictionary(e => e.Id);
        Assert.Equal(log.Count, byId.Count);
        foreach (var (key, ack) in acks)
        {
            Assert.Equal(ack.Count, (int)(ack.LastId - ack.FirstId + 1));
            for (var i = 0; i < ack.Count; i++)
            {
                Assert.True(byId.TryGetValue(ack.FirstId + i, out var entry), $"acked id {ack.FirstId + i} ({key}) missing");
                Assert.Equal(Message(key, i), entry.Message);
            }
        }

        var counts = log.GroupBy(e => e.Message).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(counts.Count == 0, $"stored more than once: {string.Join(", ", counts.Take(10))}");
        Assert.Equal(acks.Values.Sum(a => a.Count), log.Count);
    }
}
