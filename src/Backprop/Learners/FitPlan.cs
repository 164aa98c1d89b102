namespace Backprop.Learners;

/// <summary>A fit ready to run: the learner, the data, the settings, and a one-line description of them.</summary>
public sealed record FitPlan(IOnlineLearner Learner, LearnerData Train, LearnerData? Test, string DataName,
    OnlineTrainingOptions Training, string Description);
