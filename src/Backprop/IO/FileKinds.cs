using System.Runtime.InteropServices;

namespace Backprop.IO;

/// <summary>
/// The kind of a path, from <c>stat(2)</c>: .NET reports a device, a FIFO and a socket alike as an ordinary file
/// (<see cref="FileInfo.Exists"/> is true and <see cref="FileSystemInfo.Attributes"/> is Normal). Readers refuse
/// anything but a regular file (reading <c>/dev/zero</c> never ends; opening a FIFO waits for a writer), and
/// <see cref="AtomicFile"/> refuses to rename over one (as root, <c>--out /dev/null</c> would replace the device).
/// </summary>
public static class FileKinds
{
    /// <summary>
    /// The kind of <paramref name="path"/>; with <paramref name="followLinks"/> false a symbolic link is reported as
    /// <see cref="FileKind.SymbolicLink"/>, otherwise as what it points to (<see cref="FileKind.Missing"/> when dangling).
    /// </summary>
    public static FileKind Of(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) return FileKind.Missing;
        if (!OperatingSystem.IsWindows())
        {
            int? mode = UnixMode(path, followLinks);
            if (mode is int m)
                return m < 0 ? FileKind.Missing : (m & 0xF000) switch
                {
                    0x8000 => FileKind.RegularFile,
                    0x4000 => FileKind.Directory,
                    0xA000 => FileKind.SymbolicLink,
                    0x1000 => FileKind.Fifo,
                    0x2000 => FileKind.CharacterDevice,
                    0x6000 => FileKind.BlockDevice,
                    0xC000 => FileKind.Socket,
                    _ => FileKind.CharacterDevice, // an unknown kind is treated as a device: never read or replaced
                };
        }
        var info = new FileInfo(path);
        if (!followLinks && info.LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        return File.Exists(path) ? FileKind.RegularFile : FileKind.Missing;
    }

    /// <summary>"a character device", "a FIFO (named pipe)", ... for messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.RegularFile => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => kind.ToString(),
    };

    /// <summary>
    /// Refuses an input that exists and is not a regular file (after following links): a folder, a device such as
    /// <c>/dev/zero</c>, a FIFO or a socket, as "PATH: is a character device, not a regular file". A missing path
    /// passes (the reader's own "no such file" names it).
    /// </summary>
    public static void CheckInput(string path)
    {
        var kind = Of(path);
        if (kind is FileKind.Missing or FileKind.RegularFile) return;
        if (kind == FileKind.Directory) throw new BackpropException($"{path}: is a directory, not a file");
        throw new BackpropException($"{path}: is {Describe(kind)}, not a regular file; give a file");
    }

    private static bool StatUnavailable;

    /// <summary>The st_mode of the path, -1 when it does not exist, null when stat cannot be called.</summary>
    private static unsafe int? UnixMode(string path, bool followLinks)
    {
        if (StatUnavailable) return null;
        // The runtime's own native shim (libSystem.Native, shipped with every .NET on Unix), whose FileStatus starts
        // with int32 Flags, int32 Mode; a generous buffer leaves room for the rest of the struct whatever its version.
        byte* status = stackalloc byte[512];
        try
        {
            int result = followLinks ? SystemNativeStat(path, status) : SystemNativeLStat(path, status);
            return result == 0 ? *(int*)(status + 4) : -1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            StatUnavailable = true;
            return null;
        }
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern unsafe int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat")]
    private static extern unsafe int SystemNativeLStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* status);
}
