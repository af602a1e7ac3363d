export { reviewPullRequest, type ReviewRound } from '../review.js'
