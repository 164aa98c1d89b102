namespace Backprop.IO;

/// <summary>What a path names: a regular file, a folder, or a special file (device, FIFO, socket).</summary>
public enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}

