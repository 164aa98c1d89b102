using System.Diagnostics;
using System.Net.Sockets;
using Backprop.IO;

namespace Backprop.Tests.Support;

/// <summary>
/// Makes special files in a test's own temporary folder, never anywhere else: a FIFO (mkfifo), a character device
/// with the numbers of /dev/null (mknod, root only; null when not permitted), a Unix socket, and symbolic links.
/// </summary>
public static class SpecialFiles
{
    public static string? Fifo(string path) => Run("mkfifo", path) && FileKinds.Of(path) == FileKind.Fifo ? path : null;

    /// <summary>A character device 1,3 (what /dev/null is) at <paramref name="path"/>; null unless running as root.</summary>
    public static string? NullDevice(string path) =>
        Run("mknod", "-m", "666", path, "c", "1", "3") && FileKinds.Of(path) == FileKind.CharacterDevice ? path : null;

    /// <summary>.NET removes a socket's file when the socket is disposed: they stay open until the tests end.</summary>
    private static readonly List<System.Net.Sockets.Socket> OpenSockets = [];

    public static string? Socket(string path)
    {
        try
        {
            var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            lock (OpenSockets) OpenSockets.Add(socket);
            return FileKinds.Of(path) == FileKind.Socket ? path : null;
        }
        catch (Exception e) when (e is SocketException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// The special files this machine lets a test make in <paramref name="dir"/>, by name: "fifo", "socket", and
    /// "device" (root only). Each path ends in <paramref name="extension"/>, so that commands checking the extension
    /// reach the file check.
    /// </summary>
    public static IReadOnlyList<(string Kind, string Path)> All(string dir, string extension)
    {
        var made = new List<(string, string)>();
        if (OperatingSystem.IsWindows()) return made;
        if (Fifo(Path.Combine(dir, "fifo" + extension)) is string fifo) made.Add(("fifo", fifo));
        if (Socket(Path.Combine(dir, "socket" + extension)) is string socket) made.Add(("socket", socket));
        if (NullDevice(Path.Combine(dir, "device" + extension)) is string device) made.Add(("device", device));
        return made;
    }

    private static bool Run(string program, params string[] args)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string a in args) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
